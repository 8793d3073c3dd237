package org.dispatchmail.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The packages of core form layers: an import that runs back up (a package reaching one that reaches it)
 * ties two concerns together, so that neither can change or be read alone. Read from the sources'
 * import lines, so a cycle is named with the classes that make it.
 */
class PackageCyclesTest {
    private static final Path SOURCES = Paths.get("src/main/java");
    private static final String ROOT = "org.dispatchmail.core";
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile(
        "^import\\s+(?:static\\s+)?(" + Pattern.quote(ROOT) + "(?:\\.[\\w]+)+)\\s*;", Pattern.MULTILINE);

    @Test
    void corePackagesImportEachOtherWithoutCycles() throws IOException {
        Map<String, Map<String, Set<String>>> graph = importGraph();
        assertThat(graph).as("packages read from %s", SOURCES.toAbsolutePath()).containsKey(ROOT + ".delivery");

        List<String> cycles = new ArrayList<>();
        for (Set<String> component : new StronglyConnected(graph).components()) {
            if (component.size() > 1) {
                List<String> cycle = cycleWithin(component, graph);
                String others = component.stream().filter(p -> !cycle.contains(p)).map(PackageCyclesTest::shortName)
                    .collect(Collectors.joining(", "));
                cycles.add(describe(cycle, graph) + (others.isEmpty() ? "" : "; tied to it as well: " + others));
            }
        }
        assertThat(cycles).as("import cycles between core packages").isEmpty();
    }

    /** package → imported package → the importing classes (for the message). */
    private static Map<String, Map<String, Set<String>>> importGraph() throws IOException {
        Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(SOURCES)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
        }
        for (Path file : files) {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Matcher declared = PACKAGE.matcher(text);
            if (!declared.find()) {
                continue;
            }
            String from = declared.group(1);
            String className = file.getFileName().toString().replace(".java", "");
            Map<String, Set<String>> edges = graph.computeIfAbsent(from, p -> new TreeMap<>());
            Matcher imports = IMPORT.matcher(text);
            while (imports.find()) {
                packageOf(imports.group(1)).filter(to -> !to.equals(from))
                    .ifPresent(to -> edges.computeIfAbsent(to, p -> new TreeSet<>()).add(className));
            }
        }
        return graph;
    }

    /** The package part of an imported name: the segments before the first that starts with a capital. */
    static Optional<String> packageOf(String imported) {
        String[] parts = imported.split("\\.");
        StringBuilder name = new StringBuilder();
        for (String part : parts) {
            if (Character.isUpperCase(part.charAt(0))) {
                return Optional.of(name.toString());
            }
            name.append(name.length() == 0 ? "" : ".").append(part);
        }
        return Optional.empty(); // a wildcard import of a package: none are used
    }

    /** One closed path through a strongly connected set, found by a breadth-first search back to its start. */
    private static List<String> cycleWithin(Set<String> component, Map<String, Map<String, Set<String>>> graph) {
        String start = component.iterator().next();
        Map<String, String> cameFrom = new TreeMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(start));
        while (!queue.isEmpty()) {
            String at = queue.removeFirst();
            for (String next : graph.getOrDefault(at, Map.of()).keySet()) {
                if (!component.contains(next)) {
                    continue;
                }
                if (next.equals(start)) {
                    List<String> path = new ArrayList<>();
                    for (String p = at; p != null; p = cameFrom.get(p)) {
                        path.add(0, p);
                    }
                    path.add(start);
                    return path;
                }
                if (!cameFrom.containsKey(next) && !next.equals(start)) {
                    cameFrom.put(next, at);
                    queue.addLast(next);
                }
            }
        }
        throw new IllegalStateException("no cycle through " + start + " in " + component);
    }

    private static String describe(List<String> path, Map<String, Map<String, Set<String>>> graph) {
        StringBuilder text = new StringBuilder(shortName(path.get(0)));
        for (int i = 1; i < path.size(); i++) {
            Set<String> classes = graph.get(path.get(i - 1)).get(path.get(i));
            text.append(" -(").append(String.join(", ", classes)).append(")-> ").append(shortName(path.get(i)));
        }
        return text.toString();
    }

    private static String shortName(String pkg) {
        return pkg.equals(ROOT) ? "core" : pkg.substring(ROOT.length() + 1);
    }

    /** Tarjan's algorithm: the sets of packages that can each reach all the others. */
    private static final class StronglyConnected {
        private final Map<String, Map<String, Set<String>>> graph;
        private final Map<String, Integer> index = new TreeMap<>();
        private final Map<String, Integer> low = new TreeMap<>();
        private final Deque<String> stack = new ArrayDeque<>();
        private final Set<String> onStack = new TreeSet<>();
        private final List<Set<String>> components = new ArrayList<>();

        StronglyConnected(Map<String, Map<String, Set<String>>> graph) {
            this.graph = graph;
        }

        List<Set<String>> components() {
            for (String node : graph.keySet()) {
                if (!index.containsKey(node)) {
                    visit(node);
                }
            }
            return components;
        }

        private void visit(String node) {
            index.put(node, index.size());
            low.put(node, index.get(node));
            stack.push(node);
            onStack.add(node);
            for (String next : graph.getOrDefault(node, Map.of()).keySet()) {
                if (!index.containsKey(next)) {
                    visit(next);
                    low.put(node, Math.min(low.get(node), low.get(next)));
                } else if (onStack.contains(next)) {
                    low.put(node, Math.min(low.get(node), index.get(next)));
                }
            }
            if (low.get(node).equals(index.get(node))) {
                Set<String> component = new TreeSet<>();
                String member;
                do {
                    member = stack.pop();
                    onStack.remove(member);
                    component.add(member);
                } while (!member.equals(node));
                components.add(component);
            }
        }
    }
}
