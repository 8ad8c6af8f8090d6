/// Version reported by `datarater --version` and recorded in manifests.
public enum BuildInfo {
    public static let version = "0.1.0"
}
