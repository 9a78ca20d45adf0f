"""Azure's sign-in service and the bot's public HTTPS address, on loopback.

The doctor asks Azure for a Bot Framework token exactly as the bot does (botbuilder's
MicrosoftAppCredentials, through msal and requests) and fetches https://BOT_DOMAIN/healthz
as Teams would reach the bot. To test that without the internet, this module runs:

- an HTTPS server on 127.0.0.1 with a certificate for login.microsoftonline.com and the
  bot's host name, signed by a certificate authority made for the test;
- an HTTP CONNECT proxy that tunnels those two names (and nothing else) to it.

With HTTPS_PROXY pointing at the proxy and the test authority trusted (REQUESTS_CA_BUNDLE
for requests, SSL_CERT_FILE for ssl.create_default_context), the real code paths run
unchanged. The HTTPS server answers OpenID discovery and the client-credentials token
request like Azure AD (checking the client secret), and forwards /healthz for the bot's
host to the real bot server, as a reverse proxy in front of it would.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

LOGIN = "login.microsoftonline.com"


def make_certificates(folder: Path, hosts: list[str]) -> tuple[Path, Path, Path]:
    """(authority, certificate, key) PEM files: a test CA and a server cert for `hosts`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "safecontact test authority")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in hosts]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(pem))
    cert_path.write_bytes(cert.public_bytes(pem))
    key_path.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_path, cert_path, key_path


@dataclass
class FakeAzure:
    folder: Path
    app_id: str
    secret: str
    bot_host: str
    # Where the bot's own server listens (http://127.0.0.1:PORT), for /healthz.
    bot_url: str = ""
    tokens_issued: int = 0
    tunnels: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _proxy: asyncio.Server | None = None
    _tls_port: int = 0
    proxy_url: str = ""
    ca: Path | None = None

    async def start(self) -> None:
        self.ca, cert, key = make_certificates(self.folder, [LOGIN, self.bot_host])
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/common/discovery/instance", self._instance)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        self._tls_port = self._runner.addresses[0][1]
        self._proxy = await asyncio.start_server(self._tunnel, "127.0.0.1", 0)
        self.proxy_url = f"http://127.0.0.1:{self._proxy.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._proxy is not None:
            self._proxy.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._proxy.wait_closed(), 2)
        if self._runner is not None:
            await self._runner.cleanup()

    def environment(self) -> dict[str, str]:
        assert self.ca is not None
        return {
            "HTTPS_PROXY": self.proxy_url,
            "https_proxy": self.proxy_url,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "REQUESTS_CA_BUNDLE": str(self.ca),
            "SSL_CERT_FILE": str(self.ca),
        }

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(f"{request.method} {request.host}{request.path}")
        return await handler(request)

    # -- the CONNECT proxy -------------------------------------------------------------------
    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            if method != "CONNECT" and target.startswith("http://127.0.0.1:"):
                # Plain HTTP to loopback (the fake Slack), forwarded as an office proxy would;
                # the server reads the absolute-form request line as it is.
                port = int(target.removeprefix("http://127.0.0.1:").split("/", 1)[0])
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
                up_writer.write(head)
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
                return
            host = target.rsplit(":", 1)[0]
            if method != "CONNECT" or host not in (LOGIN, self.bot_host):
                writer.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
                await writer.drain()
                return
            self.tunnels.append(host)
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._tls_port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, ValueError, asyncio.CancelledError):
            pass  # a client that went away, or the test ending
        finally:
            writer.close()

    # -- Azure AD ---------------------------------------------------------------------------
    async def _discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"https://{LOGIN}/{tenant}"
        return web.json_response(
            {
                "issuer": f"https://{LOGIN}/{tenant}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "response_types_supported": ["code", "id_token", "token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def _instance(self, request: web.Request) -> web.Response:
        """Instance discovery, which msal asks after a refused token request."""
        return web.json_response(
            {
                "tenant_discovery_endpoint": (
                    f"https://{LOGIN}/common/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {"preferred_network": LOGIN, "preferred_cache": LOGIN, "aliases": [LOGIN]}
                ],
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("client_id") != self.app_id:
            return _aad_error(400, "unauthorized_client", "AADSTS700016: Application not found.")
        if form.get("client_secret") != self.secret:
            return _aad_error(401, "invalid_client", "AADSTS7000215: Invalid client secret.")
        self.tokens_issued += 1
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "access_token": "fake.jwt.token"}
        )

    # -- the bot's public address, as a reverse proxy ---------------------------------------------
    async def _healthz(self, request: web.Request) -> web.Response:
        if request.host.split(":")[0] != self.bot_host or not self.bot_url:
            return web.Response(status=404)
        async with aiohttp.ClientSession() as http, http.get(f"{self.bot_url}/healthz") as resp:
            return web.Response(
                status=resp.status, body=await resp.read(), content_type="application/json"
            )


def _aad_error(status: int, error: str, description: str) -> web.Response:
    body: dict[str, Any] = {"error": error, "error_description": description}
    return web.json_response(body, status=status)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.close()
