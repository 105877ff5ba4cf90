            CREATE TABLE foobar(
                id INT PRIMARY KEY,
                obj_attr__c_time TIMESTAMP NOT NULL,
                obj_attr__m_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
            );
