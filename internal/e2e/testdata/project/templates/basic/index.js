console.log('basic');
