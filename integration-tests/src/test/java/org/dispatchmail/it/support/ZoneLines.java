package org.dispatchmail.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The TXT records that "./dispatch dkim dns" prints as zone-file lines, turned into dnsmasq options. */
public final class ZoneLines {
    private static final Pattern ZONE_LINE = Pattern.compile("(\\S+)\\. IN TXT \\(((?: \"[^\"]*\")+) \\)");
    private static final Pattern STRING = Pattern.compile("\"([^\"]*)\"");

    private ZoneLines() {
    }

    /** One "--txt-record=name,string,string" per zone line found in the text. */
    public static List<String> dnsmasqTxtRecords(String zoneLines) {
        List<String> records = new ArrayList<>();
        Matcher m = ZONE_LINE.matcher(zoneLines);
        while (m.find()) {
            StringBuilder record = new StringBuilder("--txt-record=" + m.group(1));
            Matcher strings = STRING.matcher(m.group(2));
            while (strings.find()) {
                // no shell here to strip quotes: dnsmasq would keep them; its separator is the comma
                record.append(',').append(strings.group(1));
            }
            records.add(record.toString());
        }
        return records;
    }
}
