            CREATE TABLE "Foobar"(
                bar TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                id INT PRIMARY KEY,
                fizz SERIAL NOT NULL,
                "Foo" VARCHAR(255) COLLATE "POSIX" DEFAULT '' NOT NULL CHECK (LENGTH("Foo") > 0)
            );
            ALTER TABLE "Foobar" ENABLE ROW LEVEL SECURITY;
            CREATE INDEX normal_idx ON "Foobar" USING hash (fizz);
            CREATE UNIQUE INDEX unique_idx ON "Foobar"("Foo" DESC, bar);
