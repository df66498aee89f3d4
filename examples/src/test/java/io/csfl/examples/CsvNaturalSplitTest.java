package io.csfl.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.csfl.actor.Server;
import io.csfl.data.Splits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvNaturalSplitTest {
  private static final int USERS = 12;
  private static final int ROWS_PER_USER = 50;
  private static final int FEATURES = 4;
  private static final int CLASSES = 3;

  /**
   * A table of {@link #USERS} users whose rows are mostly of one class, each user's own
   * (non-IID), with a label a small network can learn: the class whose centre is nearest, in
   * features that also carry a per-user offset and a column of noise.
   */
  static void writeCsv(Path file, long seed) throws Exception {
    Random rng = new Random(seed);
    double[][] centres = new double[CLASSES][FEATURES];
    for (double[] c : centres) {
      for (int j = 0; j < FEATURES - 1; j++) {
        c[j] = 3 * rng.nextGaussian();
      }
    }
    List<String> lines = new ArrayList<>();
    lines.add("user,f0,f1,f2,noise,label");
    for (int u = 0; u < USERS; u++) {
      double offset = 0.3 * rng.nextGaussian();
      for (int r = 0; r < ROWS_PER_USER; r++) {
        int label = rng.nextDouble() < 0.7 ? u % CLASSES : rng.nextInt(CLASSES);
        StringBuilder row = new StringBuilder("user-" + u);
        for (int j = 0; j < FEATURES; j++) {
          double x = centres[label][j] + offset + rng.nextGaussian();
          row.append(String.format(Locale.ROOT, ",%.4f", x));
        }
        lines.add(row.append(',').append(label).toString());
      }
    }
    Files.write(file, lines);
  }

  @Test
  void csLearnsATableOfUsersSplitNaturallyWithALayerListModel(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("users.csv");
    writeCsv(csv, 4);
    Splits data = CsvNaturalSplit.load(csv);
    assertEquals(USERS, data.train().groupCount());
    double majority = OwnTrainerFederationTest.majorityShare(data.test());

    Server.Finished finished = assertInstanceOf(Server.Finished.class, CsvNaturalSplit.run(csv, "dense:32,dense:3", 5,
        ConfigFactory.parseString("akka.actor.serialize-messages = on").withFallback(ConfigFactory.load())));

    assertEquals(5, finished.rounds().size());
    double last = finished.rounds().get(4).accuracy();
    assertTrue(last > majority + 0.2, "accuracy " + last + ", not well above always answering one class: " + majority);
  }
}
