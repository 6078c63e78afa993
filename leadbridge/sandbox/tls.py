"""A local certificate authority and server certificate for the sandbox org's HTTPS listener.

Every URL simple-salesforce builds is `https`, so the sandbox must speak TLS. Clients trust it
through `REQUESTS_CA_BUNDLE` or a session with `trust_env = False; verify = ca_file`, which is why
the CA is kept stable across runs while the server certificate is re-issued when it no longer fits.
"""

from __future__ import annotations

import ipaddress
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_COMMON_NAME = "leadbridge sandbox CA"
CA_VALIDITY = timedelta(days=3650)
SERVER_VALIDITY = timedelta(days=730)
RENEW_BEFORE = timedelta(days=30)
# Back-date notBefore a little so a client whose clock lags slightly still accepts a fresh cert.
_BACKDATE = timedelta(hours=1)

_Host: TypeAlias = x509.DNSName | x509.IPAddress


@dataclass(frozen=True)
class TlsFiles:
    ca_file: Path
    cert_file: Path
    key_file: Path
    ca_key_file: Path


def ensure_certificates(
    data_dir: Path,
    hostnames: Sequence[str] = ("localhost", "127.0.0.1"),
    *,
    now: datetime | None = None,
) -> TlsFiles:
    """Create or reuse the CA and server certificate under `data_dir`.

    The CA is created once and reused while it is valid, so clients configured with `ca.pem` keep
    working. The server certificate is re-issued when it was not signed by the current CA, lacks a
    requested hostname, or expires within 30 days; a re-issued certificate keeps the hostnames the
    old one had, so two callers asking for different names do not keep replacing each other's.
    `now` exists for tests.
    """
    if not hostnames:
        raise ValueError("at least one hostname is required")
    moment = now or datetime.now(UTC)
    data_dir.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(
        ca_file=data_dir / "ca.pem",
        cert_file=data_dir / "server.pem",
        key_file=data_dir / "server-key.pem",
        ca_key_file=data_dir / "ca-key.pem",
    )
    ca_cert, ca_key = _ensure_ca(files, moment)
    wanted = [_san_entry(name) for name in hostnames]
    existing = _usable_server_cert(files, ca_cert, moment)
    if existing is None or not set(wanted) <= set(_sans(existing)):
        previous = _sans(existing) if existing is not None else []
        merged = list(dict.fromkeys([*wanted, *previous]))
        _issue_server_cert(files, ca_cert, ca_key, merged, moment)
    return files


def _ensure_ca(
    files: TlsFiles, moment: datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    loaded = _load_ca(files, moment)
    if loaded is not None:
        return loaded
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        _base_builder(name, name, key.public_key(), moment, CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private_key(files.ca_key_file, key)
    _write_public(files.ca_file, cert.public_bytes(serialization.Encoding.PEM))
    # A new CA invalidates any server certificate signed by the old one.
    files.cert_file.unlink(missing_ok=True)
    return cert, key


def _load_ca(
    files: TlsFiles, moment: datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """The existing CA if both files parse, match each other and the CA is not about to expire."""
    try:
        cert = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
        key = serialization.load_pem_private_key(files.ca_key_file.read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if cert.public_key() != key.public_key():
        return None
    if cert.not_valid_after_utc - RENEW_BEFORE <= moment:
        return None
    return cert, key


def _usable_server_cert(
    files: TlsFiles, ca_cert: x509.Certificate, moment: datetime
) -> x509.Certificate | None:
    """The server certificate if it is signed by `ca_cert`, matches its key and is not expiring."""
    try:
        cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
        key = serialization.load_pem_private_key(files.key_file.read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return None
    if cert.public_key() != key.public_key():
        return None
    if cert.not_valid_after_utc - RENEW_BEFORE <= moment:
        return None
    return cert


def _issue_server_cert(
    files: TlsFiles,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    hosts: list[_Host],
    moment: datetime,
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _host_text(hosts[0]))])
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        _base_builder(subject, ca_cert.subject, key.public_key(), moment, SERVER_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(hosts), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    # Key first: a reader that sees the new certificate must also find its key.
    _write_private_key(files.key_file, key)
    _write_public(files.cert_file, cert.public_bytes(serialization.Encoding.PEM))


def _base_builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    moment: datetime,
    validity: timedelta,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - _BACKDATE)
        .not_valid_after(moment + validity)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _san_entry(hostname: str) -> _Host:
    """IP literals get an IPAddress SAN (clients ignore DNSName for IPs); names get a DNSName."""
    text = hostname.strip().strip("[]")
    try:
        return x509.IPAddress(ipaddress.ip_address(text))
    except ValueError:
        pass
    if not text:
        raise ValueError("empty hostname")
    return x509.DNSName(text.lower())


def _sans(cert: x509.Certificate) -> list[_Host]:
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    names: list[_Host] = [
        x509.DNSName(name.lower()) for name in extension.value.get_values_for_type(x509.DNSName)
    ]
    names += [x509.IPAddress(ip) for ip in extension.value.get_values_for_type(x509.IPAddress)]
    return names


def _host_text(host: _Host) -> str:
    return str(host.value)


def _write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _atomic_write(path, pem, 0o600)


def _write_public(path: Path, data: bytes) -> None:
    _atomic_write(path, data, 0o644)


def _atomic_write(path: Path, data: bytes, mode: int) -> None:
    """Write via a same-directory temp file so readers never see a half-written PEM.

    `mkstemp` creates the file 0600, so a private key is never readable by others, even briefly.
    """
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(temp_name).chmod(mode)
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
