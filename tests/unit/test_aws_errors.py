"""Error translation at the AWS boundary: by code, never by HTTP status."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError

from lattice_controller.aws import errors


def client_error(code: str, status: int, message: str = "boom") -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": status},
    }
    return ClientError(response, "GetService")


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ResourceNotFoundException", 404, errors.NotFound),
        ("ResourceNotFoundException", 400, errors.NotFound),  # moto's status for not-found
        ("ConflictException", 409, errors.Conflict),
        ("ThrottlingException", 429, errors.Throttled),
        ("ThrottlingException", 400, errors.Throttled),
        ("ValidationException", 400, errors.ValidationFailed),
        ("InvalidParameterException", 400, errors.ValidationFailed),
        ("AccessDeniedException", 403, errors.AccessDenied),
        ("UnrecognizedClientException", 403, errors.AccessDenied),
        ("ServiceQuotaExceededException", 402, errors.ServiceQuotaExceeded),
        ("InternalServerException", 500, errors.AwsError),
        ("500", 500, errors.AwsError),
        ("404", 404, errors.AwsError),  # an unrouted URL is not a missing resource
    ],
)
def test_class_follows_the_code(code: str, status: int, expected: type[errors.AwsError]) -> None:
    translated = errors.translate_client_error(
        client_error(code, status), service="vpc-lattice", operation="Op"
    )
    assert type(translated) is expected
    assert (translated.code, translated.http_status) == (code, status)


def test_translation_keeps_operation_message_and_request_id() -> None:
    translated = errors.translate_client_error(
        client_error("ConflictException", 409, "name taken"), service="vpc-lattice", operation="CreateService"
    )
    assert (translated.service, translated.operation) == ("vpc-lattice", "CreateService")
    assert translated.message == "name taken"
    assert translated.request_id == "req-1"
    assert "CreateService" in str(translated)
    assert "ConflictException" in str(translated)


def test_every_typed_error_is_an_aws_error() -> None:
    for cls in (errors.NotFound, errors.Conflict, errors.Throttled, errors.ValidationFailed):
        assert issubclass(cls, errors.AwsError)


def test_missing_error_details_give_unknown_code() -> None:
    bare = ClientError({}, "ListServices")
    translated = errors.translate_client_error(bare, service="vpc-lattice", operation="ListServices")
    assert type(translated) is errors.AwsError
    assert translated.code == "Unknown"


def test_non_api_failures_are_internal() -> None:
    translated = errors.translate_botocore_error(
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        service="acm",
        operation="ListCertificates",
    )
    assert type(translated) is errors.AwsError
    assert translated.code == errors.INTERNAL_ERROR_CODE


def test_client_side_validation_is_validation_failed() -> None:
    translated = errors.translate_botocore_error(
        ParamValidationError(report="name too short"), service="vpc-lattice", operation="CreateService"
    )
    assert isinstance(translated, errors.ValidationFailed)
    assert translated.code == "ParamValidationError"


def test_make_error_is_what_in_memory_transports_raise() -> None:
    error = errors.make_error("vpc-lattice", "GetRule", "ResourceNotFoundException", "no rule")
    assert isinstance(error, errors.NotFound)
    assert error.message == "no rule"
