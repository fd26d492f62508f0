"""`make trust`: Warmpath's fault and load scenarios against an installation of its own
(see trust/run.py), and the process helpers the tests of real processes share."""
