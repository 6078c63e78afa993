from __future__ import annotations

import ipaddress
import ssl
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from leadbridge.sandbox.tls import TlsFiles, ensure_certificates


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return ensure_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_port(tls: TlsFiles) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.cert_file, tls.key_file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _get(url: str, ca_file: Path) -> requests.Response:
    with requests.Session() as session:
        # REQUESTS_CA_BUNDLE would override `verify` if the session trusted the environment.
        session.trust_env = False
        return session.get(url, verify=str(ca_file), timeout=5)


def test_creates_ca_and_server_files(tls: TlsFiles) -> None:
    for path in (tls.ca_file, tls.cert_file, tls.key_file, tls.ca_key_file):
        assert path.is_file()
    for key in (tls.key_file, tls.ca_key_file):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert tls.ca_file.name == "ca.pem"
    assert tls.cert_file.name == "server.pem"


def test_ca_is_a_certificate_authority(tls: TlsFiles) -> None:
    ca = _cert(tls.ca_file)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "leadbridge sandbox CA"
    )
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    lifetime = ca.not_valid_after_utc - ca.not_valid_before_utc
    assert lifetime > timedelta(days=3640)


def test_server_certificate_names_and_usage(tls: TlsFiles) -> None:
    cert = _cert(tls.cert_file)
    cert.verify_directly_issued_by(_cert(tls.ca_file))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in usage
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=700) < lifetime < timedelta(days=800)


def test_second_call_reuses_everything(tmp_path: Path) -> None:
    first = ensure_certificates(tmp_path)
    ca_pem, server_pem = first.ca_file.read_bytes(), first.cert_file.read_bytes()
    second = ensure_certificates(tmp_path)
    assert second == first
    assert second.ca_file.read_bytes() == ca_pem
    assert second.cert_file.read_bytes() == server_pem


def test_new_hostname_reissues_server_cert_only(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    ca_pem, server_pem = files.ca_file.read_bytes(), files.cert_file.read_bytes()
    ensure_certificates(tmp_path, ["sandbox.example.test", "::1"])
    assert files.ca_file.read_bytes() == ca_pem
    assert files.cert_file.read_bytes() != server_pem
    sans = _cert(files.cert_file).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    names = set(sans.value.get_values_for_type(x509.DNSName))
    ips = set(sans.value.get_values_for_type(x509.IPAddress))
    assert names == {"sandbox.example.test", "localhost"}
    assert ips == {ipaddress.ip_address("::1"), ipaddress.ip_address("127.0.0.1")}
    _cert(files.cert_file).verify_directly_issued_by(_cert(files.ca_file))


def test_server_cert_close_to_expiry_is_reissued(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    ca_pem, server_pem = files.ca_file.read_bytes(), files.cert_file.read_bytes()
    expiry = _cert(files.cert_file).not_valid_after_utc
    ensure_certificates(tmp_path, now=expiry - timedelta(days=31))
    assert files.cert_file.read_bytes() == server_pem
    ensure_certificates(tmp_path, now=expiry - timedelta(days=29))
    assert files.cert_file.read_bytes() != server_pem
    assert files.ca_file.read_bytes() == ca_pem


def test_broken_server_key_is_replaced(tmp_path: Path) -> None:
    files = ensure_certificates(tmp_path)
    files.key_file.write_text("garbage")
    ensure_certificates(tmp_path)
    cert = _cert(files.cert_file)
    key_pem = files.key_file.read_bytes()
    assert b"PRIVATE KEY" in key_pem
    assert cert.not_valid_after_utc > datetime.now(UTC)


def test_rejects_empty_hostnames(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ensure_certificates(tmp_path, [])


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_tls_handshake_verifies_against_ca(tls: TlsFiles, https_port: int, host: str) -> None:
    response = _get(f"https://{host}:{https_port}/", tls.ca_file)
    assert response.status_code == 200
    assert response.text == "hello"


def test_tls_handshake_fails_against_another_ca(
    https_port: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = ensure_certificates(tmp_path_factory.mktemp("other-ca"))
    with pytest.raises(requests.exceptions.SSLError):
        _get(f"https://127.0.0.1:{https_port}/", other.ca_file)
