package dev.streamlake.ladder.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class TextbookJobTest {
  @Test
  void onlyLadderKafkaSettingsBecomeKafkaSourceOptions() {
    SparkConf conf = new SparkConf(false)
        .set("spark.ladder.kafka.max.poll.records", "50000")
        .set("spark.ladder.kafka.fetch.max.bytes", "8388608")
        .set("spark.streamlake.kafka.max.poll.records", "500")
        .set("spark.sql.shuffle.partitions", "2");

    assertThat(TextbookJob.kafkaOptions(conf)).isEqualTo(Map.of(
        "kafka.max.poll.records", "50000",
        "kafka.fetch.max.bytes", "8388608"));
  }

  @Test
  void withoutLadderSettingsTheJobIsTheDocumentationsJob() {
    assertThat(TextbookJob.kafkaOptions(new SparkConf(false).set("spark.master", "local[2]")))
        .isEmpty();
  }
}
