"""Core holds no model: notifications moved to cmer/notifications (same table, core_notification)."""
