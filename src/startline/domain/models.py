"""Every table of the domain, imported together so the metadata is complete."""

from startline.db.base import Base
from startline.domain.accounts.models import (
    ApiKey,
    ConnectToken,
    ConnectTokenRace,
    LoginFailure,
    Partner,
    RateCounter,
    SigningIdentity,
    TemporaryCredential,
    TimerAccount,
    TimerMember,
    UsedNonce,
    User,
)
from startline.domain.changes.models import Change, JournalState
from startline.domain.participants.models import Participant
from startline.domain.races.models import Edition, Event, Race
from startline.domain.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
    WebhookSubscriptionRace,
)

__all__ = [
    "ApiKey",
    "Base",
    "Change",
    "ConnectToken",
    "ConnectTokenRace",
    "Edition",
    "Event",
    "JournalState",
    "LoginFailure",
    "Participant",
    "Partner",
    "Race",
    "RateCounter",
    "SigningIdentity",
    "TemporaryCredential",
    "TimerAccount",
    "TimerMember",
    "UsedNonce",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "WebhookSubscriptionRace",
]
