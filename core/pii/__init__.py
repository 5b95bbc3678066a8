"""PII detection, redaction and consistent fake values (UI-free, no network, no models by default)."""

from core.pii.detect import PII_LABELS, PII_TYPES, PiiDetector, PiiMatch, placeholder

__all__ = ["PII_LABELS", "PII_TYPES", "PiiDetector", "PiiMatch", "placeholder"]
