// ONNX Runtime's element type enum, by name, without importing its Tensors namespace (its Tensor<T> would clash with
// System.Numerics.Tensors.Tensor<T>, which the library uses everywhere).
global using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
