package io.csfl.nn;

import io.csfl.tensor.Model;

/**
 * What local training produced: the trained model, its mean training loss and how many examples it saw per epoch.
 *
 * @param model    the trained parameters, a copy the trainer no longer touches
 * @param meanLoss the mean per-example training loss over all epochs, each batch's loss taken before its step
 * @param examples the examples trained on in each epoch
 */
public record TrainingResult(Model model, double meanLoss, int examples) {}
