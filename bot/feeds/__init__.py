"""Price feeds in groups and channels (issue 8): ``model`` (rules), ``quotes`` (prices
from the streams), ``service`` (storage and the scheduler), ``wants`` (stream markets)."""
