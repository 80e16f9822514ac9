package dev.iotcbridge.iot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Records every wait and advances the fake time by it instead of sleeping. */
class RecordingSleeper implements Sleeper {

    private final FakeTime time;
    private final List<Duration> waits = new ArrayList<>();

    RecordingSleeper(FakeTime time) {
        this.time = time;
    }

    @Override
    public void sleep(Duration d) throws InterruptedException {
        synchronized (waits) {
            waits.add(d);
        }
        time.advance(d);
    }

    List<Duration> waits() {
        synchronized (waits) {
            return List.copyOf(waits);
        }
    }
}
