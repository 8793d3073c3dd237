package org.dispatchmail.core.mtasts;

import java.time.Clock;
import java.time.Duration;

import org.dispatchmail.core.MovableClock;

class InMemoryMtaStsStoreTest extends MtaStsStoreContract {
    private final MovableClock clock = new MovableClock(T0);
    private final InMemoryMtaStsStore shared = new InMemoryMtaStsStore(clock);

    @Override
    protected MtaStsStore node() {
        return shared;
    }

    @Override
    protected MtaStsStore otherNode() {
        return shared;
    }

    @Override
    protected Clock clock() {
        return clock;
    }

    @Override
    protected void letPass(Duration keepFor) {
        clock.advance(keepFor);
    }
}
