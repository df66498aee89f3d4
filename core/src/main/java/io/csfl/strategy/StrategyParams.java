package io.csfl.strategy;

/**
 * The parameters of every selectable strategy.
 *
 * @param cs            the CS settings, shared by cs and its variants
 * @param topkDensity   topk and stc: fraction of each update sent (stc: in both directions)
 * @param uplinkDensity cs-topk: fraction of the complement a client sends
 */
public record StrategyParams(CsOptions cs, double topkDensity, double uplinkDensity) {
  /**
   * The CS defaults ({@link CsOptions#defaults()}), a density of 0.1 for topk and stc, and an
   * uplink density of 0.1 for the cs-topk variants.
   */
  public static StrategyParams defaults() {
    return new StrategyParams(CsOptions.defaults(), 0.1, 0.1);
  }
}
