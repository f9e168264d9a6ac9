"""Support for the GRPCRoute, TLSRoute, HTTPS and TargetGroupPolicy scenarios: a Gateway with HTTP,
HTTPS and TLS passthrough listeners, GRPC rule builders, target-group details and ACM imports."""

from __future__ import annotations

import datetime
from typing import Any

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from e2e.fakeaws.fixtures import FakeAws
from e2e.harness.lattice_view import lattice_client
from e2e.scenarios.support import DEFAULT_NETWORK

CERTIFICATE_ARN_OPTION = "application-networking.k8s.aws/certificate-arn"
CERT_ARN = "arn:aws:acm:us-west-2:123456789012:certificate/0e5c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"


def kinds_gateway_yaml(
    namespace: str,
    name: str = DEFAULT_NETWORK,
    certificate_arn: str | None = CERT_ARN,
    tls_mode: str = "Passthrough",
) -> str:
    """A Gateway with `http` (80, HTTP), `https` (443, HTTPS Terminate; the certificate-arn option when
    `certificate_arn` is set, else ACM discovery: no certificateRefs) and `tls` (444, TLS `tls_mode`), all
    routes from All."""
    # The CRD wants certificateRefs or options on a Terminate listener; a listener with certificateRefs
    # is served without an ACM lookup, so the discovery case carries an option the controller ignores.
    if certificate_arn:
        https_tls = (
            "certificateRefs: [{name: dummy}]\n"
            f"        options: {{{CERTIFICATE_ARN_OPTION}: {certificate_arn}}}"
        )
    else:
        https_tls = "options: {example.com/owner: platform-team}"
    tls_refs = "\n        certificateRefs: [{name: dummy}]" if tls_mode == "Terminate" else ""
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: {name}
  namespace: {namespace}
spec:
  gatewayClassName: amazon-vpc-lattice
  listeners:
    - name: http
      protocol: HTTP
      port: 80
      allowedRoutes: {{namespaces: {{from: All}}}}
    - name: https
      protocol: HTTPS
      port: 443
      allowedRoutes: {{namespaces: {{from: All}}}}
      tls:
        mode: Terminate
        {https_tls}
    - name: tls
      protocol: TLS
      port: 444
      allowedRoutes: {{namespaces: {{from: All}}}}
      tls:
        mode: {tls_mode}{tls_refs}
---
"""


def grpc_rule(
    backend: str,
    service: str | None = None,
    method: str | None = None,
    headers: dict[str, str] | None = None,
    method_type: str | None = None,
) -> str:
    """One GRPCRoute rule (a list item under `spec.rules`) with at most one match → `backend`."""
    match = ""
    if service or method or method_type:
        fields = [
            f"{k}: {v}" for k, v in (("type", method_type), ("service", service), ("method", method)) if v
        ]
        match += f"          method: {{{', '.join(fields)}}}\n"
    if headers:
        match += "          headers:\n" + "".join(
            f"            - {{name: {k}, value: '{v}'}}\n" for k, v in headers.items()
        )
    text = "    - "
    if match:
        text += "matches:\n        - " + match.lstrip() + "      "
    return text + f"backendRefs:\n        - {{name: {backend}, port: 80}}\n"


def target_group_detail(fake: FakeAws, tg_id: str) -> dict[str, Any]:
    """GetTargetGroup of `tg_id` (the listing lacks protocolVersion and the health check)."""
    return dict(lattice_client(fake.endpoint, fake.region).get_target_group(targetGroupIdentifier=tg_id))


def service_detail(fake: FakeAws, service_id: str) -> dict[str, Any]:
    """GetService of `service_id` (certificateArn, customDomainName, dnsEntry)."""
    return dict(lattice_client(fake.endpoint, fake.region).get_service(serviceIdentifier=service_id))


def acm_client(fake: FakeAws) -> Any:
    return boto3.client(
        "acm",
        region_name=fake.region,
        endpoint_url=fake.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def import_certificate(fake: FakeAws, *names: str) -> str:
    """Import a self-signed certificate for `names` (first = subject) into the fake's ACM; its ARN."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .sign(key, hashes.SHA256())
    )
    response = acm_client(fake).import_certificate(
        Certificate=cert.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    return str(response["CertificateArn"])
