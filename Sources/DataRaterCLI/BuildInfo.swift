import Curation

/// Version reported by `datarater --version`; the same one the manifest records.
public enum BuildInfo {
    public static let version = CodeVersion.version
}
