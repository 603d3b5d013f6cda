"""The platform's electronic seal: key material, development seal, PAdES signing.

Production configures a PKCS#12 file (the seal certificate issued to the trading centre,
its private key and the CA chain) and its passphrase. Development and tests use a seal
generated on first use in a given directory and reused afterwards: a small CA
("development root") and a seal certificate it issued, so that validation goes through
a real chain the same way as in production.

Every issued PDF is signed with a PAdES baseline B-B signature (``ETSI.CAdES.detached``,
SHA-256, signing certificate attribute) as a *certification* signature that allows no
further changes except form filling and signatures (DocMDP level 2), with the seal image
as its visible appearance.
"""

from __future__ import annotations

import fcntl
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.stamp import StaticStampStyle

from contracts.errors import SealError
from contracts.rendering import SealPlacement
from contracts.seal_image import draw_seal

#: Name of the signature field the seal goes into.
SEAL_FIELD = "PlatformSeal"
DEV_P12 = "dev-seal.p12"
DEV_ROOT = "dev-seal-root.pem"
# The development PKCS#12 sits in a private directory; a passphrase adds nothing there.
_DEV_PASSPHRASE = None
# CMS space reserved in the PDF, in bytes: twice a DER container with a 3-certificate
# chain and 4096-bit keys. Fixing it skips pyHanko's dummy signature used for estimating.
_RESERVED_BYTES = 24_000


@dataclass(frozen=True)
class SealConfig:
    """Where the seal comes from. Picklable, so worker processes can load it themselves.

    Use :meth:`production` or :meth:`development`. ``organisation`` is the name drawn on
    the seal image; ``location`` and ``reason`` go into the signature dictionary.
    """

    pkcs12_path: Path | None = None
    passphrase: bytes | None = None
    development_dir: Path | None = None
    organisation: str = "韶关市公共资源交易中心"
    location: str = "广东省韶关市"
    reason: str = "平台电子签章：本文件由电子交易平台生成并签发"

    @classmethod
    def production(cls, pkcs12_path: Path | str, passphrase: bytes | str | None,
                   organisation: str = "韶关市公共资源交易中心") -> SealConfig:
        """Seal from a PKCS#12 file (key, seal certificate, CA chain) and its passphrase."""
        secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
        return cls(pkcs12_path=Path(pkcs12_path), passphrase=secret, organisation=organisation)

    @classmethod
    def development(cls, directory: Path | str,
                    organisation: str = "韶关市公共资源交易中心") -> SealConfig:
        """Self-issued development seal kept in ``directory`` (created on first use)."""
        return cls(development_dir=Path(directory), organisation=organisation)


@dataclass(frozen=True)
class Seal:
    """Loaded seal: the pyHanko signer, the seal certificate and the trust roots."""

    config: SealConfig
    signer: signers.SimpleSigner
    certificate: x509.Certificate
    trust_roots: tuple[x509.Certificate, ...]


_lock = threading.Lock()
_loaded: dict[SealConfig, Seal] = {}


def load_seal(config: SealConfig) -> Seal:
    """Load (and, for a development seal, create on first use) the seal; memoised.

    Trust roots: for the development seal, its root certificate; for a PKCS#12 file, the
    self-signed certificates in its chain, or the seal certificate itself if the file
    carries no chain. Raises :class:`SealError` when nothing usable is configured.
    """
    with _lock:
        seal = _loaded.get(config)
        if seal is None:
            seal = _load(config)
            _loaded[config] = seal
        return seal


def _load(config: SealConfig) -> Seal:
    if config.pkcs12_path is not None:
        path, passphrase = config.pkcs12_path, config.passphrase
    elif config.development_dir is not None:
        path, passphrase = ensure_development_seal(config.development_dir), _DEV_PASSPHRASE
    else:
        raise SealError("no seal configured: give a PKCS#12 file or a development directory")
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(path.read_bytes(), passphrase)
    except (OSError, ValueError) as error:
        raise SealError(f"cannot load seal from {path}: {error}") from None
    if key is None or cert is None:
        raise SealError(f"{path} must contain the seal's private key and certificate")
    roots = tuple(c for c in chain if c.subject == c.issuer) or (cert,)
    if config.development_dir is not None:
        roots = tuple(x509.load_pem_x509_certificates(
            (config.development_dir / DEV_ROOT).read_bytes()))
    signer = signers.SimpleSigner.load_pkcs12_data(
        path.read_bytes(), other_certs=[], passphrase=passphrase)
    return Seal(config=config, signer=signer, certificate=cert, trust_roots=roots)


def ensure_development_seal(directory: Path) -> Path:
    """Create the development CA and seal certificate in ``directory`` unless present.

    Writes ``dev-seal.p12`` (seal key + certificate + CA certificate, no passphrase) and
    ``dev-seal-root.pem`` (the CA certificate to trust), readable by the owner only.
    Safe to call from several processes at once (a lock file serialises creation).
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / DEV_P12
    with (directory / ".dev-seal.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file() and (directory / DEV_ROOT).is_file():
            return target
        now = datetime.now(UTC).replace(microsecond=0)
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        ca_name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "韶关市公共资源交易中心（开发环境）"),
            x509.NameAttribute(NameOID.COMMON_NAME, "market development seal root"),
        ])
        ca_cert = (
            x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
            .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
        seal_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        seal_name = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "广东省"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "韶关市"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "韶关市公共资源交易中心"),
            x509.NameAttribute(NameOID.COMMON_NAME, "韶关市公共资源交易中心电子签章（开发）"),
        ])
        seal_cert = (
            x509.CertificateBuilder().subject_name(seal_name).issuer_name(ca_name)
            .public_key(seal_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(seal_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
        p12 = pkcs12.serialize_key_and_certificates(
            b"market-dev-seal", seal_key, seal_cert, [ca_cert],
            serialization.NoEncryption())
        _write_private(directory / DEV_ROOT, ca_cert.public_bytes(serialization.Encoding.PEM))
        _write_private(target, p12)
        return target


def _write_private(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    os.replace(temporary, path)


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """Convert a ``cryptography`` certificate to the asn1crypto form pyHanko uses."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


_pictures = threading.local()


def _seal_picture(organisation: str) -> PdfImage:
    # Converting the picture to a PDF image (alpha mask, compression) costs ~20 ms; pyHanko
    # lets one PdfImage serve many documents, one writer at a time, hence per thread.
    cache: dict[str, PdfImage] = _pictures.__dict__.setdefault("by_organisation", {})
    if organisation not in cache:
        cache[organisation] = PdfImage(draw_seal(organisation))
    return cache[organisation]


def sign_pdf(pdf: bytes, seal: Seal, placement: SealPlacement) -> bytes:
    """Add the platform's visible PAdES B-B certification signature to ``pdf``.

    The seal image is drawn into the signature field at ``placement``. Returns the
    signed PDF (the original bytes followed by an incremental update).
    """
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, certify=True,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
        reason=seal.config.reason, location=seal.config.location,
        name=seal.config.organisation)
    stamp = StaticStampStyle(background=_seal_picture(seal.config.organisation),
                             border_width=0, background_opacity=1.0)
    field_spec = fields.SigFieldSpec(SEAL_FIELD, on_page=placement.page, box=placement.box)
    signer = signers.PdfSigner(meta, signer=seal.signer, stamp_style=stamp,
                               new_field_spec=field_spec)
    writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
    output = signer.sign_pdf(writer, bytes_reserved=_RESERVED_BYTES)
    return bytes(output.getbuffer())
