package org.dispatchmail.core.dkim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Which header fields an h= list covers, and the h= list Dispatch signs with. */
final class HeaderSelection {

    private HeaderSelection() {
    }

    /**
     * The fields that h= names, in h= order (RFC 6376 §5.4.2): a name listed several times takes the instances from
     * the bottom up, and a name listed more often than it occurs covers nothing the extra times, which is what makes
     * over-signing forbid adding that field later.
     */
    static List<HeaderField> select(List<HeaderField> headers, List<String> names) {
        boolean[] used = new boolean[headers.size()];
        List<HeaderField> selected = new ArrayList<>(names.size());
        for (String name : names) {
            for (int i = headers.size() - 1; i >= 0; i--) {
                if (!used[i] && headers.get(i).hasName(name)) {
                    used[i] = true;
                    selected.add(headers.get(i));
                    break;
                }
            }
        }
        return selected;
    }

    /**
     * The h= list for a message: each of {@code signed} that is present, once per occurrence, then each of those
     * once more, lowercased.
     */
    static List<String> overSigned(MessageParts message, List<String> signed) {
        List<String> present = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String name : signed) {
            int count = message.count(name);
            if (count > 0) {
                String lower = name.toLowerCase(Locale.ROOT);
                present.add(lower);
                for (int i = 0; i < count; i++) {
                    names.add(lower);
                }
            }
        }
        names.addAll(present);
        return names;
    }
}
