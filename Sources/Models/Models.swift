/// Namespace for the Models module.
public enum ModelsModule {}
