"""All storage models; importing this package registers every table on ``Base.metadata``."""

from __future__ import annotations

from fediverse_cases.storage.models.accounts import Account, Actor, Follow
from fediverse_cases.storage.models.audit import AuditEvent
from fediverse_cases.storage.models.case_revisions import CaseRevision
from fediverse_cases.storage.models.cases import (
    Case,
    CaseImage,
    CaseTag,
    Comment,
    Consent,
    Flag,
    Like,
    Notification,
    ReviewDecision,
)
from fediverse_cases.storage.models.collections import CaseCollection, CollectionItem
from fediverse_cases.storage.models.deid_jobs import DeidJob
from fediverse_cases.storage.models.dicom import DicomSeries, DicomStackImage
from fediverse_cases.storage.models.erasure_jobs import ErasureCheck, ErasureJob
from fediverse_cases.storage.models.federation import Delivery, InboxItem, ObjectFetch, Peer
from fediverse_cases.storage.models.groups import Group, GroupModerator, GroupPost
from fediverse_cases.storage.models.oauth import MediaUpload, OAuthApp, OAuthAuthorizationCode, OAuthToken
from fediverse_cases.storage.models.oidc import OidcIdentity, OidcLoginState
from fediverse_cases.storage.models.outcomes import CaseOutcome
from fediverse_cases.storage.models.paging import OnCall, Page, PageRecipient
from fediverse_cases.storage.models.peer_drops import PeerDrop
from fediverse_cases.storage.models.polls import Poll, PollVote
from fediverse_cases.storage.models.tombstones import ContentTombstone
from fediverse_cases.storage.models.web_push import PushDelivery, PushSubscription, VapidKey

__all__ = [
    "Account",
    "Actor",
    "AuditEvent",
    "Case",
    "CaseCollection",
    "CaseImage",
    "CaseOutcome",
    "CaseRevision",
    "CaseTag",
    "CollectionItem",
    "Comment",
    "Consent",
    "ContentTombstone",
    "DeidJob",
    "Delivery",
    "DicomSeries",
    "DicomStackImage",
    "ErasureCheck",
    "ErasureJob",
    "Flag",
    "Follow",
    "Group",
    "GroupModerator",
    "GroupPost",
    "InboxItem",
    "Like",
    "MediaUpload",
    "Notification",
    "OAuthApp",
    "OAuthAuthorizationCode",
    "OAuthToken",
    "ObjectFetch",
    "OidcIdentity",
    "OidcLoginState",
    "OnCall",
    "Page",
    "PageRecipient",
    "Peer",
    "PeerDrop",
    "Poll",
    "PollVote",
    "PushDelivery",
    "PushSubscription",
    "ReviewDecision",
    "VapidKey",
]
