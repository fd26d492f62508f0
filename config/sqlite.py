"""How Warmpath opens SQLite, the embedded default engine (`make run`, a laptop, the
tests without DATABASE_URL): tuned as SQLite deployments are. Used by
config/settings/base.py when DATABASE_URL is not PostgreSQL.

- timeout: the busy timeout, how long a writer waits for another's lock (seconds);
- transaction_mode IMMEDIATE: a transaction takes the write lock when it starts, so two
  writers queue on the busy timeout instead of one failing at its first write;
- WAL: readers never wait for the writer, nor the writer for readers;
- synchronous=NORMAL: safe with WAL (a power cut may lose the last commits, never corrupt
  the file), without a disk flush per commit;
- cache_size per connection (negative: KiB), temporary tables and sorts in memory, and
  the file read through memory-mapping (mmap_size, bytes);
- foreign keys are switched on by Django itself.

Planner statistics (ANALYZE), which SQLite never gathers by itself, are kept current by
core.database.statistics_refresh.
"""

from config.env import env_int


def sqlite_options() -> dict:
    cache_kib = env_int("WARMPATH_SQLITE_CACHE_MB", 64) * 1024
    mmap_bytes = env_int("WARMPATH_SQLITE_MMAP_MB", 256) * 1024 * 1024
    return {
        "timeout": env_int("WARMPATH_SQLITE_BUSY_TIMEOUT_SECONDS", 20),
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA cache_size=-{cache_kib}; PRAGMA temp_store=MEMORY; "
            f"PRAGMA mmap_size={mmap_bytes};"
        ),
    }
