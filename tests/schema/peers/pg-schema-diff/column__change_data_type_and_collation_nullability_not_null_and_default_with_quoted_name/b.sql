            CREATE TABLE "Foobar"(
                id INT PRIMARY KEY,
                "Foobar" CHAR COLLATE "POSIX" NOT NULL DEFAULT 'A'
            );
