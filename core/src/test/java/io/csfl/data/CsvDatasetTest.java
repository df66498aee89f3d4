package io.csfl.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CSV loader: columns by name, groups, train-only standardisation, and one clear error per kind of bad file. */
class CsvDatasetTest {
  private static final CsvDataset.Options GROUPED = new CsvDataset.Options("y", "user", false);

  @TempDir
  Path dir;

  private Path file(String name, String... lines) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, String.join("\n", lines) + "\n");
    return p;
  }

  private Path train() throws IOException {
    return file("train.csv", "a,y,user,b", "1,0,u1,10", "3,1,u1,20", "5,2,u2,30", "7,1,u2,40");
  }

  @Test
  void readsFeaturesByNameWithGroupsAndATestFileInAnotherColumnOrder() throws IOException {
    Path test = file("test.csv", "b,a,y", "15,2,1");
    Splits s = CsvDataset.load(train(), test, GROUPED);
    Dataset t = s.train();
    assertArrayEquals(new int[] {2}, t.shape());
    assertEquals(3, t.classes());
    assertEquals(List.of("u1", "u2"), t.groupNames());
    float[] x = new float[2];
    int[] y = new int[1];
    t.fill(new int[] {2}, 0, 1, x, y);
    assertArrayEquals(new float[] {5, 30}, x);
    assertEquals(2, y[0]);
    s.test().fill(new int[] {0}, 0, 1, x, y);
    assertArrayEquals(new float[] {2, 15}, x, "test columns are matched by name");
    assertFalse(s.test().hasGroups());
  }

  @Test
  void standardisationUsesTheTrainingRowsOnly() throws IOException {
    Path test = file("test.csv", "a,y,b", "4,0,25");
    Splits s = CsvDataset.load(train(), test, new CsvDataset.Options("y", "user", true));
    float[] x = new float[2];
    int[] y = new int[1];
    s.test().fill(new int[] {0}, 0, 1, x, y);
    // Training a: mean 4, sd sqrt(5); b: mean 25, sd sqrt(125).
    assertArrayEquals(new float[] {0, 0}, x, 1e-6f);
    s.train().fill(new int[] {0}, 0, 1, x, y);
    assertArrayEquals(new float[] {(float) (-3 / Math.sqrt(5)), (float) (-15 / Math.sqrt(125))}, x, 1e-5f);
  }

  @Test
  void aGivenClassCountHoldsForAFileThatLacksAClassAndRefusesALabelPastIt() throws IOException {
    // train.csv's labels are 0 to 2.
    CsvDataset.Options five = new CsvDataset.Options("y", "user", false, 5);
    Splits s = CsvDataset.load(train(), file("test.csv", "a,y,b", "1,4,2"), five);
    assertEquals(5, s.train().classes(), "as many classes as given, though no training row has 3 or 4");
    assertEquals(5, s.test().classes());
    assertEquals(5, CsvDataset.loadTraining(train(), five).classes());
    CsvDataset.Options two = new CsvDataset.Options("y", "user", false, 2);
    DataFileException past = assertThrows(DataFileException.class, () -> CsvDataset.loadTraining(train(), two));
    assertTrue(past.getMessage().startsWith(dir.resolve("train.csv") + ", row 3: label 2 is out of range: the classes are 0 to 1"),
        past.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new CsvDataset.Options("y", null, false, 1));
    assertEquals(3, CsvDataset.loadTraining(train(), GROUPED).classes(), "by default the largest label plus one");
  }

  @Test
  void theFeatureColumnsAreNamedInTheOrderOfTheFeaturesFromTheHeaderAlone() throws IOException {
    assertEquals(List.of("a", "b"), CsvDataset.featureColumns(train(), GROUPED));
    assertEquals(List.of("b", "user", "a"), CsvDataset.featureColumns(file("other.csv", "b,user,y,a", "not,read,at,all"),
        new CsvDataset.Options("y", null, false)));
    Path latin1 = dir.resolve("latin1.csv");
    Files.write(latin1, "caf\u00e9,y\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertEquals(latin1 + " is not UTF-8 text (line 1): save it as UTF-8",
        assertThrows(DataFileException.class, () -> CsvDataset.featureColumns(latin1, GROUPED)).getMessage());
  }

  /** A file that is not UTF-8, or not a file, is said to be so, naming where. */
  @Test
  void aFileThatIsNotUtf8OrNotAFileIsNamedAsSuch() throws IOException {
    Path latin1 = dir.resolve("latin1.csv");
    Files.write(latin1, "x,y,user\n1,0,a\n2,1,b\n3,0,caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    DataFileException e = assertThrows(DataFileException.class, () -> CsvDataset.loadWithHoldOut(latin1, 0.2, 7, GROUPED));
    assertEquals(latin1 + " is not UTF-8 text (line 4): save it as UTF-8", e.getMessage());
    assertEquals(dir + " is a directory, not a data file",
        assertThrows(DataFileException.class, () -> CsvDataset.loadWithHoldOut(dir, 0.2, 7, GROUPED)).getMessage());
  }

  @Test
  void aHoldOutIsSeededAndTakenFromEachGroup() throws IOException {
    StringBuilder csv = new StringBuilder("x,y,user\n");
    for (int i = 0; i < 40; i++) {
      csv.append(i).append(',').append(i % 3).append(",g").append(i % 4).append('\n');
    }
    Path p = dir.resolve("many.csv");
    Files.writeString(p, csv);
    Splits a = CsvDataset.loadWithHoldOut(p, 0.2, 7, GROUPED);
    Splits b = CsvDataset.loadWithHoldOut(p, 0.2, 7, GROUPED);
    assertEquals(32, a.train().size());
    assertEquals(8, a.test().size());
    assertEquals(4, a.train().groupCount());
    assertEquals(a.test().fingerprint(), b.test().fingerprint());
    assertThrows(IllegalArgumentException.class, () -> CsvDataset.loadWithHoldOut(p, 1.0, 7, GROUPED));
  }

  private void assertBad(Path trainFile, Path testFile, CsvDataset.Options o, String... expected) {
    DataFileException e = assertThrows(DataFileException.class, () -> CsvDataset.load(trainFile, testFile, o));
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), "'" + part + "' not in: " + e.getMessage());
    }
  }

  @Test
  void aByteOrderMarkBeforeTheHeaderIsSkipped() throws IOException {
    Path test = file("test.csv", "a,y,user,b", "2,1,u1,15");
    Path marked = file("marked.csv", "\uFEFFa,y,user,b", "1,0,u1,10", "3,1,u1,20", "5,2,u2,30", "7,1,u2,40");
    assertEquals(CsvDataset.load(train(), test, GROUPED).train().size(), CsvDataset.load(marked, test, GROUPED).train().size());
  }

  @Test
  void malformedCsvIsNamedInTheLoadersWordsWithTheFilesLine() throws IOException {
    Path ok = file("ok.csv", "a,y,user", "1,0,u");
    DataFileException dup = assertThrows(DataFileException.class,
        () -> CsvDataset.load(file("dup.csv", "a,y,a,user", "1,0,2,u"), ok, GROUPED));
    assertTrue(dup.getMessage().contains("dup.csv is not a valid CSV file") && dup.getMessage().contains("duplicate"), dup.getMessage());
    assertTrue(!dup.getMessage().contains("CSVFormat"), dup.getMessage());
    DataFileException quote = assertThrows(DataFileException.class,
        () -> CsvDataset.load(file("quote.csv", "a,y,user", "1,0,u", "2,1,\"u", "3,1,u"), ok, GROUPED));
    assertTrue(quote.getMessage().contains("quote.csv is not a valid CSV file: line 3 of the file"), quote.getMessage());
    assertTrue(!quote.getMessage().contains("org.apache") && !quote.getMessage().contains("startline"), quote.getMessage());
  }

  @Test
  void missingColumnsAreNamed() throws IOException {
    Path ok = file("ok.csv", "a,y,user", "1,0,u");
    assertBad(file("nolabel.csv", "a,label", "1,0"), ok, GROUPED, "nolabel.csv", "no label column 'y'");
    assertBad(file("nogroup.csv", "a,y", "1,0"), ok, GROUPED, "nogroup.csv", "no group column 'user'");
    assertBad(train(), file("short.csv", "a,y", "1,0"), GROUPED, "short.csv", "missing the feature column [b]");
    assertBad(file("onlylabel.csv", "y", "1"), ok, new CsvDataset.Options("y", null, false), "no feature columns");
  }

  /**
   * A wide file's columns are found by name (once each: a header of many thousands of columns
   * loads in time linear in its width), and a message about them lists the first and counts all.
   */
  @Test
  void aWideFileIsReadByNameAndItsMissingColumnsAreCounted() throws IOException {
    int columns = 50_000;
    // The training file names its columns from the last to the first, the test file in order; column fi holds i.
    StringBuilder trainHeader = new StringBuilder("y");
    StringBuilder trainRow = new StringBuilder();
    StringBuilder testHeader = new StringBuilder();
    StringBuilder testRow = new StringBuilder();
    for (int i = 0; i < columns; i++) {
      trainHeader.append(",f").append(columns - 1 - i);
      trainRow.append(',').append(columns - 1 - i);
      testHeader.append('f').append(i).append(',');
      testRow.append(i).append(',');
    }
    Path wide = file("wide.csv", trainHeader.toString(), "1" + trainRow, "0" + trainRow);
    CsvDataset.Options plain = new CsvDataset.Options("y", null, false);
    Splits s = CsvDataset.load(wide, file("wide-test.csv", testHeader + "y", testRow + "1"), plain);
    assertEquals(columns, s.test().features());
    float[] x = new float[columns];
    s.test().fill(new int[] {0}, 0, 1, x, new int[1]);
    assertEquals(List.of(columns - 1f, columns - 2f, 0f), List.of(x[0], x[1], x[columns - 1]));
    DataFileException e = assertThrows(DataFileException.class, () -> CsvDataset.load(wide, file("narrow.csv", "y,f7", "0,1"), plain));
    assertTrue(e.getMessage().contains("is missing the feature columns [f49999, f49998, ") && e.getMessage().contains(", ...] ("
        + (columns - 1) + " in all) of the training file"), e.getMessage());
    assertTrue(e.getMessage().length() < 400, e.getMessage());
  }

  @Test
  void raggedRowsNonNumbersLabelsOutOfRangeAndEmptyGroupsAreEachOneError() throws IOException {
    Path ok = file("ok.csv", "a,y,b", "1,0,2");
    assertBad(file("ragged.csv", "a,y,user,b", "1,0,u,2", "1,0,u"), ok, GROUPED, "ragged.csv", "row 2", "3 values", "4 columns");
    assertBad(file("text.csv", "a,y,user,b", "1,0,u,2", "x1,1,u,3"), ok, GROUPED, "text.csv", "row 2", "column 'a'", "'x1' is not a finite number");
    assertBad(file("nan.csv", "a,y,user,b", "NaN,0,u,2"), ok, GROUPED, "nan.csv", "'NaN' is not a finite number");
    assertBad(file("neg.csv", "a,y,user,b", "1,-1,u,2"), ok, GROUPED, "neg.csv", "label -1 is out of range");
    assertBad(file("frac.csv", "a,y,user,b", "1,0.5,u,2"), ok, GROUPED, "frac.csv", "'0.5' is not an integer class");
    assertBad(train(), file("big.csv", "a,y,b", "1,7,2"), GROUPED, "big.csv", "label 7 is out of range", "0 to 2");
    assertBad(file("nogroup.csv", "a,y,user,b", "1,0,u,2", "1,1,,2"), ok, GROUPED, "nogroup.csv", "row 2", "group column 'user' is empty");
    assertBad(file("empty.csv", "a,y,user,b"), ok, GROUPED, "empty.csv", "no rows");
    assertBad(dir.resolve("absent.csv"), ok, GROUPED, "missing data file", "absent.csv");
    assertBad(file("dup.csv", "a,a,y", "1,2,0"), ok, new CsvDataset.Options("y", null, false), "dup.csv", "not a valid CSV file");
  }
}
