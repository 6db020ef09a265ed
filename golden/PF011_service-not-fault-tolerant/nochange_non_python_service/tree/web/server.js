const { Client } = require("pg");
const client = new Client({ host: "postgres" });
client.connect();
