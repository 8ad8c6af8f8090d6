/// Namespace for the Tokenization module.
public enum TokenizationModule {}
