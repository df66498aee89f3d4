package io.csfl.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.csfl.tensor.Model;
import io.csfl.tensor.TensorSpec;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Layer lists build the networks they describe, the presets among them, and say which layer does not fit. */
class LayerListTest {
  private static final int[] GREY = {1, 28, 28};

  @Test
  void theCnnListIsTheCnnPreset() {
    assertSameNetwork(Architecture.cnn(), Architecture.byName("conv:32:5,pool:2,conv:64:5,pool:2,dense:512,dense:10", GREY, 10));
  }

  @Test
  void theOneArgumentFormSaysItBuildsForFashionMnist() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architecture.byName("dense:16,dense:3"));
    assertTrue(e.getMessage().startsWith("last layer dense:3 must have 10 outputs"), e.getMessage());
    assertTrue(e.getMessage().contains("for Fashion-MNIST's 1x28x28 images and 10 classes"), e.getMessage());
  }

  @Test
  void theMlpListIsTheMlpPreset() {
    assertSameNetwork(Architecture.mlp(), Architecture.byName("dense:200,dense:200,dense:10", GREY, 10));
  }

  @Test
  void colourImagesGoChannelsLastBeforeTheFirstConvAsInThePreset() {
    int[] rgb = {3, 8, 12};
    assertSameNetwork(Architecture.byName("cnn", rgb, 4), Architecture.byName("conv:32:5,pool:2,conv:64:5,pool:2,dense:512,dense:4", rgb, 4));
    assertSameNetwork(Architecture.byName("logreg", new int[] {60}, 3), Architecture.byName("dense:3", new int[] {60}, 3));
  }

  /** Same tensors, same initial model, same layers and sizes, and the same weights after training steps. */
  private static void assertSameNetwork(Architecture preset, Architecture list) {
    assertEquals(preset.spec(), list.spec());
    assertEquals(preset.initialModel(42), list.initialModel(42));
    assertNotEquals(preset.initialModel(42), list.initialModel(43));
    Network a = preset.newNetwork(4);
    Network b = list.newNetwork(4);
    assertEquals(describe(a), describe(b));
    a.load(preset.initialModel(5));
    b.load(list.initialModel(5));
    Optimizer oa = OptimizerConfig.adam(0.01).create();
    Optimizer ob = OptimizerConfig.adam(0.01).create();
    Random rng = new Random(9);
    int classes = preset.spec().tensor(preset.spec().tensorCount() - 1).size();
    for (int step = 0; step < 3; step++) {
      for (int i = 0; i < 4 * a.inputSize(); i++) {
        a.inputBuffer()[i] = b.inputBuffer()[i] = rng.nextFloat();
      }
      for (int s = 0; s < 4; s++) {
        a.labelBuffer()[s] = b.labelBuffer()[s] = rng.nextInt(classes);
      }
      assertEquals(Double.doubleToRawLongBits(a.trainBatch(4, oa)), Double.doubleToRawLongBits(b.trainBatch(4, ob)));
    }
    assertEquals(a.snapshot(), b.snapshot());
    assertNotEquals(preset.initialModel(5), a.snapshot(), "training must move the weights");
  }

  private static List<String> describe(Network net) {
    return net.layers().stream().map(l -> l.getClass().getSimpleName() + " " + l.inputSize() + "->" + l.outputSize()).toList();
  }

  @Test
  void weightsArePrunableAndBiasesDense() {
    Architecture a = Architecture.byName("conv:4:3:valid,pool:3,dense:6,dense:10", GREY, 10);
    List<String> names = a.spec().tensors().stream().map(TensorSpec::name).toList();
    assertEquals(List.of("conv1/kernel", "conv1/bias", "dense1/kernel", "dense1/bias", "dense2/kernel", "dense2/bias"), names);
    for (TensorSpec t : a.spec().tensors()) {
      assertEquals(t.name().endsWith("/kernel"), t.prunable(), t.name());
    }
    // 28x28 -> valid 3x3 -> 26x26x4 -> pool 3 -> 8x8x4 = 256 features.
    assertEquals(3 * 3 * 4 + 4 + 256 * 6 + 6 + 6 * 10 + 10, a.spec().parameterCount());
  }

  @Test
  void theNameIsTheCanonicalListSoAModelFileCanNameItsArchitecture() {
    Architecture a = Architecture.byName(" Conv:8:3:same  # a comment\n\tPOOL:2,\n\n dense:10 # last\n", GREY, 10);
    assertEquals("conv:8:3,pool:2,dense:10", a.name());
    assertEquals(a.spec(), Architecture.byName(a.name()).spec());
    assertEquals("conv:8:5:valid,dense:10", LayerList.parse("conv:8:5:valid dense:10").toString());
  }

  @Test
  void malformedListsNameTheLayer() {
    assertMessage("layer 2 (dens:10): unknown layer 'dens', expected conv:C:K, conv:C:K:valid, pool:K or dense:N", "dense:5,dens:10");
    assertMessage("layer 1 (conv:8): expected conv:C:K, conv:C:K:valid, pool:K or dense:N", "conv:8,dense:10");
    assertMessage("layer 1 (conv:8:3:full): expected", "conv:8:3:full,dense:10");
    assertMessage("layer 1 (dense:0): N must be a whole number from 1 to 65536, got '0'", "dense:0");
    assertMessage("layer 1 (pool:x): K must be a whole number", "pool:x,dense:10");
    assertMessage("layer 1 (dense:99999999999): N must be a whole number", "dense:99999999999");
    assertMessage("the model's layer list is empty", " # nothing\n,");
    assertMessage("two commas with no layer between them after layer 1 (conv:4:3)", "conv:4:3,,dense:10");
    assertMessage("two commas with no layer between them after layer 2 (pool:2)", "conv:4:3\npool:2, ,dense:10");
    assertMessage("two commas with no layer between them at the list's start", ",,dense:10");
    assertMessage("unknown model 'resnet' (expected mlp, cnn, logreg or a layer list such as dense:200,dense:10)", "resnet");
    assertMessage("the model has 301 layers, more than 256", "dense:5,".repeat(300) + "dense:10");
  }

  @Test
  void layersThatDoNotFitTheDataNameTheLayer() {
    assertMessage("layer 3 (pool:2): input 1x1 is smaller than the pool", "conv:4:3:valid,pool:3,pool:2,dense:10", new int[] {1, 5, 5});
    assertMessage("last layer dense:12 must have 10 outputs, the dataset's class count", "dense:20,dense:12", GREY);
    assertMessage("last layer pool:2 must be dense:10, for the dataset's 10 classes", "conv:4:3,pool:2", GREY);
    assertMessage("layer 1 (conv:4:3): conv needs image input (C x H x W), the dataset has flat features", "conv:4:3,dense:10", new int[] {60});
    assertMessage("layer 2 (pool:2): pool needs image input (C x H x W), but the dense layer before it flattened the data",
        "dense:8,pool:2,dense:10", GREY);
    assertMessage("layer 1 (conv:4:4): same padding needs an odd kernel size; write conv:4:4:valid", "conv:4:4,dense:10", GREY);
    assertMessage("layer 2 (conv:4:5:valid): input 3x3 is smaller than the 5x5 kernel", "pool:9,conv:4:5:valid,dense:10", GREY);
    assertMessage("layer 1 (dense:65536): 5138022400 weights, more than 268435456", "dense:65536,dense:10", new int[] {1, 280, 280});
    // Each layer fits alone, the model does not: refused before its layers take 2 GiB (each tensor and a copy).
    assertMessage("layer 2 (dense:16384): 281313280 parameters in this layer and those before, more than 268435456",
        "dense:16384,dense:16384,dense:10", GREY);
    assertMessage("layer 2 (conv:16384:1): 268484608 parameters in this layer and those before, more than 268435456",
        "conv:16384:1,conv:16384:1,dense:10", new int[] {1, 1, 1});
  }

  @Test
  void theSpecOfAnArchitectureIsTheSpecOfTheNetworksItBuilds() {
    for (String name : java.util.List.of("mlp", "cnn", "logreg", "conv:4:3,pool:2,dense:16,dense:10")) {
      Architecture a = Architecture.byName(name, GREY, 10);
      assertEquals(a.spec(), a.newNetwork(2).spec(), name);
      assertEquals(a.spec(), a.initialModel(1).spec(), name);
    }
  }

  @Test
  void evenKernelsWorkWithValidPaddingAndPoolsDropTheRemainder() {
    Architecture a = Architecture.byName("conv:2:4:valid,pool:4,dense:10", GREY, 10);
    // 28 - 4 + 1 = 25, 25 / 4 = 6: the last row and column of the conv's output take no part.
    assertEquals(4 * 4 * 2 + 2 + 6 * 6 * 2 * 10 + 10, a.spec().parameterCount());
    assertFalse(a.toString().isEmpty());
  }

  private static void assertMessage(String expected, String list) {
    assertMessage(expected, list, GREY);
  }

  private static void assertMessage(String expected, String list, int[] shape) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Architecture.byName(list, shape, 10));
    assertTrue(e.getMessage().startsWith(expected), "'" + expected + "' does not start: " + e.getMessage());
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
  }
}
