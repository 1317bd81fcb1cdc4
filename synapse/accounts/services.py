"""Account writes that follow from employee records."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from synapse.accounts.roles import leavers_q


def leavers_deactivate(*, employees: QuerySet) -> int:
    """Deactivate the user accounts of those ``employees`` whose employment has ended.

    Called whenever employees are saved (the model's ``post_save`` for the admin and
    every ``save()``, the import for its bulk writes). An inactive account cannot sign
    in, its sessions end and its API tokens stop working. Moving the end date back into
    the future does not reactivate it: an administrator does that on purpose. Return
    the number of accounts deactivated (one UPDATE statement).
    """
    leavers = employees.filter(leavers_q()).values("user_id")
    return get_user_model().objects.filter(pk__in=leavers, is_active=True).update(is_active=False)
