/// Namespace for the Ingest module.
public enum IngestModule {}
