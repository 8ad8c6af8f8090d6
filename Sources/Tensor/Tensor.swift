/// Namespace for the Tensor module.
public enum TensorModule {}
