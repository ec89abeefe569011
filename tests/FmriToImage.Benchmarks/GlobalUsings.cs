// ONNX Runtime's element type enum by name, without its Tensors namespace (whose Tensor<T> would clash with
// System.Numerics.Tensors.Tensor<T>).
// The request and result records of a reconstruction.
global using FmriToImage.Reconstructions;
