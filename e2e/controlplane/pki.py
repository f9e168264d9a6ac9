"""Certificates and kubeconfigs for the test control plane.

One throw-away CA signs the kube-apiserver serving certificate and every client certificate; a separate
RSA key pair signs ServiceAccount tokens. Everything is written as PEM files into the plane's directory.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=7)
SERVING_DNS_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


@dataclass(frozen=True, slots=True)
class PkiFiles:
    """Paths of the PEM files that the processes and kubeconfigs refer to."""

    ca_crt: Path
    ca_key: Path
    serving_crt: Path
    serving_key: Path
    admin_crt: Path
    admin_key: Path
    sa_key: Path
    sa_pub: Path

    @classmethod
    def in_dir(cls, d: Path) -> PkiFiles:
        p = d / "pki"
        return cls(
            ca_crt=p / "ca.crt",
            ca_key=p / "ca.key",
            serving_crt=p / "serving.crt",
            serving_key=p / "serving.key",
            admin_crt=p / "admin.crt",
            admin_key=p / "admin.key",
            sa_key=p / "sa.key",
            sa_pub=p / "sa.pub",
        )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(cn: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if private:
        path.chmod(0o600)


def _load_ca(files: PkiFiles) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(files.ca_crt.read_bytes())
    key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return cert, key


def _sign_leaf(
    files: PkiFiles,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    sans: list[x509.GeneralName] | None = None,
) -> tuple[bytes, bytes]:
    ca_cert, ca_key = _load_ca(files)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return _cert_pem(cert), _key_pem(key)


def generate_pki(files: PkiFiles) -> None:
    """Write the CA, the serving cert, the admin client cert and the SA key pair."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_subject = _name("lattice-controller-test-ca")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_subject)
        .issuer_name(ca_subject)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write(files.ca_crt, _cert_pem(ca_cert))
    _write(files.ca_key, _key_pem(ca_key), private=True)

    sans: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    sans += [x509.DNSName(n) for n in SERVING_DNS_NAMES]
    crt, key = _sign_leaf(files, _name("kube-apiserver"), ExtendedKeyUsageOID.SERVER_AUTH, sans)
    _write(files.serving_crt, crt)
    _write(files.serving_key, key, private=True)

    crt, key = issue_client_cert(files, "admin", ("system:masters",))
    _write(files.admin_crt, crt)
    _write(files.admin_key, key, private=True)

    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write(files.sa_key, _key_pem(sa_key), private=True)
    pub = sa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write(files.sa_pub, pub)


def issue_client_cert(files: PkiFiles, user: str, groups: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
    """Return (cert PEM, key PEM) of a client certificate for `user` in `groups`, signed by the CA."""
    return _sign_leaf(files, _name(user, groups), ExtendedKeyUsageOID.CLIENT_AUTH)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def kubeconfig_document(
    server: str,
    ca_pem: bytes,
    *,
    user: str,
    cert_pem: bytes | None = None,
    key_pem: bytes | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """A self-contained kubeconfig (all data inline) with one cluster, user and context."""
    creds: dict[str, str] = {}
    if cert_pem is not None and key_pem is not None:
        creds = {"client-certificate-data": _b64(cert_pem), "client-key-data": _b64(key_pem)}
    if token is not None:
        creds["token"] = token
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "lc-test", "cluster": {"server": server, "certificate-authority-data": _b64(ca_pem)}}
        ],
        "users": [{"name": user, "user": creds}],
        "contexts": [{"name": user, "context": {"cluster": "lc-test", "user": user}}],
        "current-context": user,
    }


def write_kubeconfig(path: Path, document: dict[str, Any]) -> Path:
    _write(path, yaml.safe_dump(document, sort_keys=False).encode(), private=True)
    return path


def write_admin_kubeconfig(files: PkiFiles, server: str, path: Path) -> Path:
    doc = kubeconfig_document(
        server,
        files.ca_crt.read_bytes(),
        user="admin",
        cert_pem=files.admin_crt.read_bytes(),
        key_pem=files.admin_key.read_bytes(),
    )
    return write_kubeconfig(path, doc)
