"""The one place that knows how this instance's public URLs and ActivityPub ids are shaped.

Stdlib only. Ids are stable forever once published, so change nothing here lightly.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class LocalUrls:
    base_url: str

    def actor(self, username: str) -> str:
        return f"{self.base_url}/users/{quote(username)}"

    def actor_key_id(self, username: str) -> str:
        return f"{self.actor(username)}#main-key"

    def actor_ed25519_key_id(self, username: str) -> str:
        return f"{self.actor(username)}#ed25519-key"

    def inbox(self, username: str) -> str:
        return f"{self.actor(username)}/inbox"

    def outbox(self, username: str) -> str:
        return f"{self.actor(username)}/outbox"

    def followers(self, username: str) -> str:
        return f"{self.actor(username)}/followers"

    def following(self, username: str) -> str:
        return f"{self.actor(username)}/following"

    def group(self, slug: str) -> str:
        """A hosted specialty group's actor (and HTML page)."""
        return f"{self.base_url}/groups/{quote(slug)}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base_url}/inbox"

    @property
    def instance_actor(self) -> str:
        return f"{self.base_url}/actor"

    def case(self, public_id: str) -> str:
        return f"{self.base_url}/cases/{public_id}"

    def comment(self, public_id: str) -> str:
        return f"{self.base_url}/comments/{public_id}"

    def media(self, key: str) -> str:
        return f"{self.base_url}/media/{key}"

    # Added by federation content: the replies collection, erasure report, hashtag pages and
    # the public URL of an image's de-identified display derivative (what peers download).
    def case_replies(self, public_id: str) -> str:
        return f"{self.case(public_id)}/replies"

    def case_stack(self, public_id: str, position: int) -> str:
        """The full stack of the case's image at ``position`` (a DICOM series): an OrderedCollection."""
        return f"{self.case(public_id)}/stacks/{position}"

    def case_context(self, public_id: str) -> str:
        """The case's conversation (FEP-7888 ``context``): an ordered collection of the thread."""
        return f"{self.case(public_id)}/context"

    def case_erasure(self, public_id: str) -> str:
        return f"{self.case(public_id)}/erasure"

    def tag(self, name: str) -> str:
        return f"{self.base_url}/tags/{quote(name)}"

    def media_display(self, key: str, media_type: str = "image/jpeg") -> str:
        # The media store names files ``<key>-<variant><ext>``; peers get the display variant.
        extension = ".png" if media_type == "image/png" else ".jpg"
        return self.media(f"{key}-display{extension}")

    def media_file(self, key: str, variant: str, extension: str) -> str:
        """One stored variant ("full", "display", "thumb") of a de-identified image."""
        return self.media(f"{key}-{variant}{extension}")
