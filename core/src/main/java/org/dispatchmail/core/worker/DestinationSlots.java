package org.dispatchmail.core.worker;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.dispatchmail.core.routing.Destination;

/**
 * Delivery threads per destination (a recipient domain, or the smart host that takes it). A message goes
 * to a thread only while each of its destinations has fewer than the limit; a poll waits a little for a
 * slot (a fast destination frees one at once), and past that leaves the destination's messages due for a
 * later poll, taking no thread. So one slow or tarpitting destination, however much mail waits for it,
 * never holds every delivery thread of a node.
 */
final class DestinationSlots {
    private final int perDestination;
    private final Map<Destination, Integer> busy = new HashMap<>();

    DestinationSlots(int perDestination) {
        if (perDestination < 1) {
            throw new IllegalArgumentException("at least one thread per destination");
        }
        this.perDestination = perDestination;
    }

    /**
     * Takes a slot of every destination, waiting up to {@code wait} for them (a fast destination frees one
     * within milliseconds; a tarpit does not); takes none and returns false when they stay at their limit.
     */
    synchronized boolean take(Set<Destination> destinations, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!full(destinations).isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        for (Destination destination : destinations) {
            busy.merge(destination, 1, Integer::sum);
        }
        return true;
    }

    /** The destinations among these that are at their limit. */
    synchronized Set<Destination> full(Set<Destination> destinations) {
        Set<Destination> full = new HashSet<>();
        for (Destination destination : destinations) {
            if (busy.getOrDefault(destination, 0) >= perDestination) {
                full.add(destination);
            }
        }
        return full;
    }

    synchronized void release(Set<Destination> destinations) {
        for (Destination destination : destinations) {
            busy.computeIfPresent(destination, (key, count) -> count > 1 ? count - 1 : null);
        }
        notifyAll();
    }

    synchronized int busy(Destination destination) {
        return busy.getOrDefault(destination, 0);
    }
}
