"""How an image's bytes leave once ``core.case_access`` has allowed the request.

``[media] serve_mode`` chooses: "python" answers with the bytes; "x-accel-redirect" answers
with an empty body and an ``X-Accel-Redirect`` header naming ``accel_prefix`` + the file's path
inside the media folder, which nginx serves from an ``internal`` location; "x-sendfile" names
the absolute path for Apache/lighttpd. The headers the app chose (content type, caching,
``nosniff``) are on every answer; the proxy keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping

from werkzeug.wrappers import Response

from fediverse_cases.media.store import LocalMediaStore, MediaName
from fediverse_cases.settings import MediaServingSettings


def media_response(
    serving: MediaServingSettings, store: LocalMediaStore, name: MediaName, headers: Mapping[str, str]
) -> Response | None:
    """The answer for an allowed request, or None when the file is not stored."""
    if serving.mode == "python":
        data = store.read(name)
        if data is None:
            return None
        return Response(data, content_type=name.media_type, headers=dict(headers))
    path = store.path_of(name)
    if path is None:
        return None
    response = Response(b"", content_type=name.media_type, headers=dict(headers))
    if serving.mode == "x-accel-redirect":
        # Relative to the media folder, so nginx's alias is the only place the folder is named.
        response.headers["X-Accel-Redirect"] = serving.accel_prefix + path.relative_to(store.root).as_posix()
    else:
        response.headers["X-Sendfile"] = str(path)
    return response
