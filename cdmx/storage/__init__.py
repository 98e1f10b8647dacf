"""Media stores: where files of messages live (local files or S3), behind one interface.

``build_store(settings)`` picks S3 when ``S3_BUCKET_MEDIA`` is set, else files under
``CDMX_MEDIA_ROOT``. See docs/media.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cdmx.storage.base import MediaStore, new_key
from cdmx.storage.local import LocalStore

if TYPE_CHECKING:
    from cdmx.settings import Settings

__all__ = ["LocalStore", "MediaStore", "build_store", "new_key"]


def build_store(settings: Settings) -> MediaStore:
    """The media store these settings describe."""
    if settings.s3_bucket_media:
        from cdmx.storage.s3 import S3Store  # boto3 is only needed with S3

        return S3Store(
            settings.s3_bucket_media,
            region=settings.aws_region or None,
            endpoint_url=getattr(settings, "s3_endpoint_url", "") or None,
            cloudfront_domain=settings.cloudfront_domain or None,
        )
    return LocalStore(settings.media_root, settings.secret_key)
