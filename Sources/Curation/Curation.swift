/// Namespace for the Curation module.
public enum CurationModule {}
