"""Runtime settings, read once from the environment (prefix SHOPLENS_)."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOPLENS_", env_file=".env")

    database_url: str = "postgresql+psycopg://shoplens:shoplens@localhost:5432/shoplens"
    replica_url: str = "postgresql+psycopg://shoplens:shoplens@localhost:5433/shoplens"
    duckdb_path: str = "data/warehouse.duckdb"
    export_dir: str = "data/exports"
    backup_dir: str = "data/backups"

    carrier_api: str = "https://api.parcelhub.example/v2"
    carrier_token: str = ""
    fx_api: str = "https://fx.example.com/v1"

    default_page_size: int = 50
    max_page_size: int = 200
    max_export_rows: int = 10_000


@lru_cache
def get_settings() -> Settings:
    return Settings()
