"""Test helpers the platform gives its teams: import them from a tenant's tests, never from DAGs or tasks.

The helper modules are registered for pytest's assertion rewriting, so a
failing check inside them reports the compared values as a test's own
`assert` would.
"""

import pytest

pytest.register_assert_rewrite("modelfleet.testing.tenant_data")
