package io.csfl.actor;

/** A message that carries tensors; serialized by {@link WireSerializer} in CSFL's binary form. */
public interface WireMessage {}
