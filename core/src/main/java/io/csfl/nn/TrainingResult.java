package io.csfl.nn;

import io.csfl.tensor.Model;

/** What local training produced: the trained model, its mean training loss and how many examples it saw per epoch. */
public record TrainingResult(Model model, double meanLoss, int examples) {}
