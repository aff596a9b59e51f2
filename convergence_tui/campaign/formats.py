"""Names and versions of the machine documents (kept apart from their pydantic models, which are
loaded only when a document is read)."""

ANSWERS_FORMAT = "convergence-answers"
ANSWERS_VERSION = 1
