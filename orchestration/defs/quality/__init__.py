"""Quality: Great Expectations suites on the marts, as blocking asset checks."""
