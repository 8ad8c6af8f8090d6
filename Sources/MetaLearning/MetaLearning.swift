/// Namespace for the MetaLearning module.
public enum MetaLearningModule {}
