"""ACM certificate discovery against the fake endpoint: certificates imported through ACM."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from lattice_controller.aws.certificates import CertificateFinder
from lattice_controller.aws.edge import AwsEdge


def _pem(common_name: str, *sans: str) -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False
        )
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


async def _import(aws: AwsEdge, common_name: str, *sans: str) -> str:
    cert, key = _pem(common_name, *sans)
    response = await aws.clients.acm.import_certificate(Certificate=cert, PrivateKey=key)
    return str(response["CertificateArn"])


@pytest.mark.usefixtures("full_lattice")
async def test_exact_name_beats_wildcard_and_listing_is_cached(aws: AwsEdge) -> None:
    wildcard = await _import(aws, "*.example.com", "*.example.com")
    exact = await _import(aws, "shop.example.com", "shop.example.com", "www.shop.example.com")
    finder = CertificateFinder(aws.acm)
    assert await finder.find("SHOP.example.com") == exact
    assert await finder.find("cart.example.com") == wildcard
    assert await finder.find("a.b.example.com") is None  # single-label wildcard only
    assert await finder.find("example.com") is None
    assert finder.list_calls == 1


@pytest.mark.usefixtures("full_lattice")
async def test_requested_certificates_are_not_issued_so_not_found(aws: AwsEdge) -> None:
    await aws.clients.acm.request_certificate(DomainName="pending.example.com")
    finder = CertificateFinder(aws.acm)
    assert await finder.find("pending.example.com") is None
    imported = await _import(aws, "pending.example.com")  # no SANs: the domain name is matched
    finder.forget()
    assert await finder.find("pending.example.com") == imported
