package dev.muster.testing;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.TestInstance.Lifecycle;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives each test method its own new, empty PostgreSQL database on {@link PostgresServer#shared()}:
 * <pre>
 * &#64;ExtendWith(PostgresExtension.class)
 * class RepositoryTest {
 *     &#64;Test
 *     void savesAThing(TestDatabase database) {
 *         database.execute("CREATE TABLE thing (id int)");
 *         new Repository(database.jdbcUrl(), database.user(), database.password()).save(1);
 *         assertEquals(1, database.queryLong("SELECT count(*) FROM thing"));
 *     }
 * }</pre>
 * A {@link TestDatabase} parameter may be declared on the test method, a {@code @BeforeEach} or
 * {@code @AfterEach} method, or the constructor (with the default per-method lifecycle); all of them get the
 * same database during one test. It is a {@code CREATE DATABASE … TEMPLATE} of an empty template, dropped
 * after the test with {@code WITH (FORCE)}, so connections left open do not matter; a failed drop is logged,
 * not thrown. {@code @RegisterExtension} works as well.
 *
 * <p>If the test stopped the embedded server and did not start it again, it is started before the drop, so
 * one failed fault test does not break every test after it.
 *
 * <p>Constructor injection assumes that the methods of one class do not run concurrently (JUnit's default):
 * JUnit 5.11 resolves constructor parameters in the class's context, which concurrent tests would share.
 */
public final class PostgresExtension implements ParameterResolver, AfterEachCallback {

    private static final Logger LOG = System.getLogger(PostgresExtension.class.getName());
    private static final Namespace NAMESPACE = Namespace.create(PostgresExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestDatabase.class;
    }

    @Override
    public TestDatabase resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (!belongsToOneTest(parameter, context)) {
            throw new ParameterResolutionException("A TestDatabase lives for one test method: declare it on the"
                    + " test method, @BeforeEach, or the constructor of a per-method-lifecycle class, not on "
                    + parameter.getDeclaringExecutable() + ". For a database shared by a whole class, call"
                    + " PostgresServer.shared().createDatabase() and dropDatabase() yourself.");
        }
        // get() looks in the parents' stores too, so a database made for the constructor is found here again.
        // Not getOrComputeIfAbsent: JUnit 5.11 reports a failure there as both cause and suppressed exception.
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        TestDatabase database = store.get(TestDatabase.class, TestDatabase.class);
        if (database == null) {
            database = PostgresServer.shared().createDatabase();
            store.put(TestDatabase.class, database);
        }
        return database;
    }

    /**
     * JUnit 5.11 resolves constructor parameters in the class's context even when it makes an instance per
     * test method; such a database is stored there and dropped after that one test like the others. In other
     * class-level places (PER_CLASS constructor, {@code @BeforeAll}) it would outlive a test.
     */
    private static boolean belongsToOneTest(ParameterContext parameter, ExtensionContext context) {
        return context.getTestMethod().isPresent()
                || parameter.getDeclaringExecutable() instanceof Constructor
                        && context.getTestInstanceLifecycle().orElse(Lifecycle.PER_METHOD) == Lifecycle.PER_METHOD;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        List<TestDatabase> databases = new ArrayList<>();
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            TestDatabase database = c.getStore(NAMESPACE).remove(TestDatabase.class, TestDatabase.class);
            if (database != null) {
                databases.add(database);
            }
        }
        if (databases.isEmpty()) {
            return;
        }
        PostgresServer server = PostgresServer.shared();
        if (server.restartable()) {
            server.start();
        }
        for (TestDatabase database : databases) {
            try {
                server.dropDatabase(database);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Could not drop " + database + "; it stays on " + server, e);
            }
        }
    }
}
