// mode.hpp: whether a layer is being trained or used.
//
// Most layers compute the same function in both modes (Dense does). Two layers of chapter 11
// do not:
//
//   Dropout (dropout.hpp)     training: each unit is dropped with probability p and the
//                             kept ones are scaled by 1/(1-p), a new random mask per batch.
//                             evaluation: the layer passes its input through unchanged.
//   BatchNorm (batch_norm.hpp) training: each unit is normalised with the mean and variance
//                             of the current batch, and running averages of them are kept.
//                             evaluation: the running averages are used, and not updated.
//
// Training mode is noisy on purpose (a random mask, statistics that depend on which samples
// share the batch); that noise is part of what regularises the network. A trained network
// is evaluated in evaluation mode, so that its answer for a sample is a fixed function of
// that sample alone: the same every time it is asked, whatever else is in the batch, and the
// same for a batch of 1. Validation and test accuracies, and predictions, are computed in
// evaluation mode.
#pragma once

namespace nn {

enum class Mode { training, evaluation };

}  // namespace nn
