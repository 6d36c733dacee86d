"""Topic and keyword alerts: subscriptions, a persistent push queue, and its delivery worker."""

from bot.alerts.hub import Alerts, install

__all__ = ["Alerts", "install"]
